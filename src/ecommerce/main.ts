/** The ecommerce process: clients, carts and the synchronous checkout (port 8005). */
import { loadConfig } from '../platform/config.ts';
import { runMain } from '../platform/runtime.ts';
import { startHttpService } from '../platform/service.ts';
import { EcommerceConfigSchema } from './config.ts';
import { ecommerceService } from './http/app.ts';

await runMain('ecommerce', async () => {
  const config = loadConfig(EcommerceConfigSchema);
  return startHttpService(ecommerceService(config));
});
