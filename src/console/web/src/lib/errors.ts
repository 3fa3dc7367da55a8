/**
 * An HTTP answer (or a network failure) → the sentence shown next to the form (pure; tested by
 * test/console/web-errors.test.ts). Services answer `{error, details}`; the BFF adds upper-case codes
 * (NON_CONNECTE, SESSION_EXPIREE, CSRF, CLE_INVALIDE…). Never raw JSON, never a blank page.
 */

export interface UiMessage {
  /** `info` for answers that are not failures for the user (e.g. a replenishment request already pending). */
  tone: 'erreur' | 'info';
  text: string;
  /** The session is gone: the app goes back to sign-in. */
  sessionLost: boolean;
}

const BFF_CODES: Readonly<Record<string, string>> = {
  NON_CONNECTE: 'Vous n’êtes pas connecté: saisissez la clé API.',
  SESSION_EXPIREE: 'Votre session a expiré ou la clé a été révoquée: reconnectez-vous.',
  CLE_INVALIDE: 'Clé API refusée par la passerelle.',
  CSRF: 'Requête refusée: elle ne vient pas de la console elle-même.',
  PROMETHEUS_INDISPONIBLE: 'Prometheus n’est pas démarré.',
  PASSERELLE_INDISPONIBLE: 'La passerelle ne répond pas.',
  CHEMIN_INVALIDE: 'Adresse refusée par la console.',
  REQUETE_INVALIDE: 'Requête invalide.',
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Field-level details (`[{field, message}]`) become "champ: message" phrases. */
function detailText(details: unknown): string | null {
  if (Array.isArray(details)) {
    const parts = details
      .filter(isRecord)
      .map((d) => {
        const f = typeof d.field === 'string' ? d.field.replace(/^(body|querystring|params)\./, '') : null;
        const m = typeof d.message === 'string' ? d.message : null;
        return m ? (f ? `${f}: ${m}` : m) : null;
      })
      .filter((x): x is string => x !== null);
    return parts.length ? parts.join(' ; ') : null;
  }
  if (isRecord(details) && typeof details.message === 'string') return details.message;
  if (typeof details === 'string' && details.length < 300) return details;
  return null;
}

export function messageFor(status: number, body: unknown, retryAfter?: string | null): UiMessage {
  const b = isRecord(body) ? body : {};
  const code = typeof b.error === 'string' ? b.error : typeof b.message === 'string' ? b.message : null;
  // Only the BFF's own codes mean the session is gone; any other 401 (a service's) is shown as it is.
  if (status === 401 && (code === 'NON_CONNECTE' || code === 'SESSION_EXPIREE')) {
    return { tone: 'erreur', text: BFF_CODES[code]!, sessionLost: true };
  }
  const known = code ? BFF_CODES[code] : undefined;
  if (known && status !== 503) return { tone: 'erreur', text: known, sessionLost: false };
  if (status === 429) return { tone: 'erreur', text: 'Trop de requêtes: réessayez dans un instant.', sessionLost: false };
  if (status === 503 || status === 502 || status === 504) {
    const wait = retryAfter && /^\d+$/.test(retryAfter) ? ` Réessayez dans ${retryAfter} s.` : ' Réessayez dans un instant.';
    const what = known ?? (code ? `${code}.` : 'Service indisponible.');
    return { tone: 'erreur', text: `${what}${wait}`, sessionLost: false };
  }
  if (status >= 500) return { tone: 'erreur', text: 'Erreur inattendue du serveur.', sessionLost: false };
  if (code) {
    // The reference's "déjà en attente" is information, not a failure (reference §2.7, UC2b).
    const tone = /déjà en attente/i.test(code) ? 'info' : 'erreur';
    const extra = detailText(b.details);
    return { tone, text: extra && !code.includes(extra) ? `${code} (${extra})` : code, sessionLost: false };
  }
  if (status === 404) return { tone: 'erreur', text: 'Introuvable.', sessionLost: false };
  return { tone: 'erreur', text: `Requête refusée (HTTP ${status}).`, sessionLost: false };
}

export const networkMessage = (): UiMessage => ({
  tone: 'erreur',
  text: 'La console ne répond pas: vérifiez que le système est démarré, puis réessayez.',
  sessionLost: false,
});
