/**
 * Online orders, the checkout saga's participant: create is idempotent by `reference_externe` (the UNIQUE
 * constraint settles races), cancel is idempotent and leaves a tombstone for an unknown reference so a
 * create arriving after its cancel (reordered messages) is refused. No stock call: the saga reserves stock.
 */
import { randomUUID } from 'node:crypto';
import type { CommandeEnLigne, CommandeEnLigneRequest, CommandeEnLigneTombstone } from '../../contracts/commandes.ts';
import { DomainError } from '../../platform/errors.ts';
import type { CodeErreur } from './erreurs.ts';
import { totalCommande } from '../domain/commande-en-ligne.ts';
import type { CommandeEnLigneRepository, CommandeEnLigneRow, VenteRepository } from './ports.ts';

export interface CommandesEnLigneDeps {
  commandes: CommandeEnLigneRepository;
  ventes: VenteRepository;
}

const isTombstone = (row: CommandeEnLigneRow) => row.client_id === null;

export function commandeDto(row: CommandeEnLigneRow): CommandeEnLigne {
  return {
    commande_id: row.commande_id,
    reference_externe: row.reference_externe,
    client_id: row.client_id!,
    magasin_id: row.magasin_id,
    statut: row.statut,
    total: row.total ?? 0,
    lignes: row.lignes,
    date_creation: row.date_creation.toISOString(),
    date_annulation: row.date_annulation ? row.date_annulation.toISOString() : null,
  };
}

function tombstoneDto(row: CommandeEnLigneRow): CommandeEnLigneTombstone {
  return {
    reference_externe: row.reference_externe,
    statut: 'annulee',
    commande_id: null,
    date_annulation: (row.date_annulation ?? row.date_creation).toISOString(),
  };
}

export class CommandesEnLigneUseCases {
  constructor(private readonly deps: CommandesEnLigneDeps) {}

  async creer(req: CommandeEnLigneRequest): Promise<CommandeEnLigne> {
    const magasinId = req.magasin_id ?? null;
    if (magasinId !== null && !(await this.deps.ventes.magasin(magasinId))) {
      throw new DomainError<CodeErreur>('MAGASIN_INVALIDE', { magasin_id: magasinId });
    }
    const { row } = await this.deps.commandes.creerSiAbsente({
      commande_id: randomUUID(),
      reference_externe: req.reference_externe,
      client_id: req.client_id,
      magasin_id: magasinId,
      total: totalCommande(req.lignes),
      lignes: req.lignes,
    });
    if (row.statut === 'annulee') {
      throw new DomainError<CodeErreur>('COMMANDE_ANNULEE', { reference_externe: req.reference_externe });
    }
    return commandeDto(row);
  }

  async annuler(reference: string): Promise<CommandeEnLigne | CommandeEnLigneTombstone> {
    const row = await this.deps.commandes.annuler(reference, randomUUID());
    return isTombstone(row) ? tombstoneDto(row) : commandeDto(row);
  }

  async trouver(reference: string): Promise<CommandeEnLigne> {
    const row = await this.deps.commandes.trouver(reference);
    if (!row) throw new DomainError<CodeErreur>('COMMANDE_EN_LIGNE_NON_TROUVEE', { reference_externe: reference });
    if (isTombstone(row)) {
      // Cancelled before it was ever created: there is no order to show.
      throw new DomainError<CodeErreur>('COMMANDE_EN_LIGNE_NON_TROUVEE', {
        reference_externe: reference,
        statut: 'annulee',
        annulee_avant_creation: true,
      });
    }
    return commandeDto(row);
  }
}
