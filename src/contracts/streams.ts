/**
 * The streams and their dead-letter names, apart from the event schemas (events.ts re-exports them): tools that
 * only name streams (`npm run status`) need not compile every schema.
 */
export const STREAMS = {
  checkout: 'ecommerce.checkout.events',
  catalogue: 'catalogue.produits.events',
  inventaire: 'inventaire.stock.events',
  commandes: 'commandes.ventes.events',
  saga: 'saga.orchestrator.events',
} as const;
export type StreamName = (typeof STREAMS)[keyof typeof STREAMS];
/** Where an entry goes after too many failed deliveries or when it is malformed. */
export const deadLetterStream = (stream: string) => `${stream}.dlq`;
