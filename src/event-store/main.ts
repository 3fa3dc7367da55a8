/** Process entry of the event store (port 7010): HTTP API, archive consumer and stream trimmer. */
import { loadConfig } from '../platform/config.ts';
import { runMain } from '../platform/runtime.ts';
import { startHttpService } from '../platform/service.ts';
import { EventStoreConfig, eventStoreService } from './http/app.ts';

await runMain('event-store', async () => startHttpService(eventStoreService(loadConfig(EventStoreConfig))));
