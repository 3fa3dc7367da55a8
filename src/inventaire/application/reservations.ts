/** Reservation use cases, the sagas' participant: reserve (all or nothing, idempotent by id), release, confirm, read. */
import type { ReservationRequest, ReservationResponse } from '../../contracts/inventaire.ts';
import { fusionnerLignes, memesLignes } from '../domain/stock.ts';
import { refus } from './erreurs.ts';
import type { NomsProduits } from './noms-produits.ts';
import type { InventaireRepository } from './ports.ts';
import { Verifications } from './verifications.ts';

export class ReservationsUseCases {
  private readonly verifications: Verifications;

  constructor(
    private readonly repo: InventaireRepository,
    noms: NomsProduits,
    /** Lifetime of an unconfirmed `a_confirmer` reservation. */
    private readonly expirationReservationMs = 15 * 60_000,
  ) {
    this.verifications = new Verifications(repo, noms);
  }

  async reserver(req: ReservationRequest): Promise<ReservationResponse> {
    const reservationId = req.reservation_id.toLowerCase();
    const magasinId = req.magasin_id?.toLowerCase() ?? null;
    if (magasinId !== null) await this.verifications.magasinConnu(magasinId, 'MAGASIN_NON_TROUVE');
    const lignes = fusionnerLignes(req.lignes);
    const r = await this.repo.reserver(reservationId, magasinId, lignes, req.a_confirmer === true ? this.expirationReservationMs : null);
    if (r.kind === 'insuffisant') {
      throw refus('RESERVATION_STOCK_INSUFFISANT', { produit_id: r.produit_id, disponible: r.disponible, demande: r.demande });
    }
    if (r.kind === 'creee') return r.reservation;
    // A repeat: the same request gets the same answer; anything else under that id is a conflict.
    const stored = r.reservation;
    if (stored.statut === 'liberee') throw refus('RESERVATION_DEJA_LIBEREE', { reservation_id: reservationId });
    const memes = stored.magasin_id === magasinId && memesLignes(stored.lignes, lignes);
    if (!memes) {
      throw refus('RESERVATION_AUTRES_LIGNES', {
        reservation_id: reservationId,
        magasin_id: stored.magasin_id,
        lignes: stored.lignes,
      });
    }
    return stored;
  }

  async liberer(id: string): Promise<ReservationResponse> {
    return this.repo.liberer(id.toLowerCase());
  }

  /** Keeps a reservation for good (its caller's write committed); idempotent. Too late once it expired: 409. */
  async confirmer(id: string): Promise<ReservationResponse> {
    const r = await this.repo.confirmer(id.toLowerCase());
    if (!r) throw refus('RESERVATION_NON_TROUVEE', { reservation_id: id });
    if (r.statut === 'liberee') throw refus('RESERVATION_EXPIREE', { reservation_id: id, statut: r.statut });
    return r;
  }

  async reservation(id: string): Promise<ReservationResponse> {
    const r = await this.repo.reservation(id.toLowerCase());
    if (!r) throw refus('RESERVATION_NON_TROUVEE', { reservation_id: id });
    return r;
  }
}
