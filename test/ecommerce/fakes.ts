/** In-memory catalogue and inventaire that record every call, for the ecommerce integration tests. */
import { loadConfig } from '../../src/platform/config.ts';
import type { ReservationRequest } from '../../src/contracts/inventaire.ts';
import { SEED } from '../../src/contracts/common.ts';
import { EcommerceConfigSchema } from '../../src/ecommerce/config.ts';
import {
  ServiceIndisponibleError,
  type CatalogueClient,
  type InventaireClient,
  type ProduitCatalogue,
  type ReservationResult,
} from '../../src/ecommerce/application/ports.ts';

export const P = SEED.produits;
export const C = SEED.clients;

export const testConfig = (databaseUrl: string) => loadConfig(EcommerceConfigSchema, { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });

export class FakeCatalogue implements CatalogueClient {
  down = false;
  calls: string[] = [];
  produits = new Map<string, ProduitCatalogue>([
    [P.clavier, { id: P.clavier, nom: 'Clavier mécanique', prix: 89.99, actif: true }],
    [P.souris, { id: P.souris, nom: 'Souris optique', prix: 25.5, actif: true }],
    [P.cafe, { id: P.cafe, nom: 'Café Premium Bio', prix: 15.99, actif: true }],
    [P.chocolat, { id: P.chocolat, nom: 'Chocolat Noir 70%', prix: 8.99, actif: false }],
  ]);

  async produit(id: string): Promise<ProduitCatalogue | null> {
    this.calls.push(id);
    if (this.down) throw new ServiceIndisponibleError('catalogue', 'catalogue injoignable: ECONNREFUSED');
    return this.produits.get(id) ?? null;
  }
}

export class FakeInventaire implements InventaireClient {
  /** 'network' = unreachable, 'http500' = answers 500. */
  down: false | 'network' | 'http500' = false;
  liberationEnPanne = false;
  stock = new Map<string, number>();
  reservations = new Map<string, ReservationRequest>();
  calls: { reserver: ReservationRequest[]; liberer: string[]; stockCentral: string[]; confirmer: string[] } = {
    reserver: [],
    liberer: [],
    stockCentral: [],
    confirmer: [],
  };

  constructor() {
    this.reset();
  }

  reset() {
    this.down = false;
    this.liberationEnPanne = false;
    this.stock = new Map([
      [P.clavier, 100],
      [P.souris, 200],
      [P.cafe, 0],
    ]);
    this.reservations.clear();
    this.calls = { reserver: [], liberer: [], stockCentral: [], confirmer: [] };
  }

  private panne() {
    if (this.down === 'network') throw new ServiceIndisponibleError('inventaire', 'inventaire injoignable: ECONNREFUSED');
    if (this.down === 'http500') throw new ServiceIndisponibleError('inventaire', 'inventaire a répondu 500', 500, { error: 'boom' });
  }

  async stockCentral(produitId: string): Promise<number> {
    this.calls.stockCentral.push(produitId);
    this.panne();
    return this.stock.get(produitId) ?? 0;
  }

  async reserver(demande: ReservationRequest): Promise<ReservationResult> {
    this.calls.reserver.push(structuredClone(demande));
    this.panne();
    if (this.reservations.has(demande.reservation_id)) return { statut: 'reservee' };
    for (const l of demande.lignes) {
      const disponible = this.stock.get(l.produit_id) ?? 0;
      if (disponible < l.quantite) return { statut: 'insuffisant', details: { produit_id: l.produit_id, disponible, demande: l.quantite } };
    }
    for (const l of demande.lignes) this.stock.set(l.produit_id, this.stock.get(l.produit_id)! - l.quantite);
    this.reservations.set(demande.reservation_id, demande);
    return { statut: 'reservee' };
  }

  async liberer(reservationId: string): Promise<void> {
    this.calls.liberer.push(reservationId);
    if (this.liberationEnPanne) throw new ServiceIndisponibleError('inventaire', 'inventaire injoignable');
    this.panne();
    const r = this.reservations.get(reservationId);
    if (!r) return;
    for (const l of r.lignes) this.stock.set(l.produit_id, (this.stock.get(l.produit_id) ?? 0) + l.quantite);
    this.reservations.delete(reservationId);
  }

  async confirmer(reservationId: string): Promise<void> {
    this.calls.confirmer.push(reservationId);
    this.panne();
  }
}
