/** The supply-chain service: stateless (no database), a workflow over inventaire. */
import { Type, type Static } from 'typebox';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../../platform/config.ts';
import type { HttpServiceDefinition } from '../../platform/service.ts';
import type { InventaireClient } from '../application/ports.ts';
import { DemandesUseCases } from '../application/demandes.ts';
import { HttpInventaireClient } from '../infrastructure/inventaire-http-client.ts';
import { supplyChainRoutes } from './routes.ts';

export const SupplyChainConfig = Type.Object({
  PORT: PortVar(8004),
  HOST: HostVar(),
  REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
  INVENTAIRE_URL: UrlVar('http://127.0.0.1:8002'),
  LOG_LEVEL: LogLevelVar(),
});
export type SupplyChainConfig = Static<typeof SupplyChainConfig>;

export interface SupplyChainDeps {
  inventaire?: InventaireClient;
}

export function supplyChainService(config: SupplyChainConfig, deps: SupplyChainDeps = {}): HttpServiceDefinition {
  const inventaire = deps.inventaire ?? new HttpInventaireClient(config.INVENTAIRE_URL);
  return {
    service: 'supply-chain',
    title: 'Service Supply Chain',
    description: 'Validation et rejet des demandes de réapprovisionnement (proxy sans état vers inventaire).',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    redisUrl: config.REDIS_URL,
    readiness: () => [{ name: 'inventaire', check: () => inventaire.ping() }],
    routes: (app) => supplyChainRoutes(app, new DemandesUseCases(inventaire)),
  };
}
