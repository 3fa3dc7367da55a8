/** Entry point of one catalogue instance (three run side by side on one schema, told apart by INSTANCE_ID). */
import { loadConfig } from '../platform/config.ts';
import { runMain } from '../platform/runtime.ts';
import { startHttpService } from '../platform/service.ts';
import { CatalogueConfigSchema, catalogueService } from './http/app.ts';

await runMain('catalogue', () => startHttpService(catalogueService(loadConfig(CatalogueConfigSchema))));
