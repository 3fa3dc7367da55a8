/** Shared pieces of every page: title + heading, messages, async data, forms and confirmation dialogs. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './lib/api.ts';
import type { UiMessage } from './lib/errors.ts';
import type { StatusView } from './lib/status.ts';

/** A view: its document title, one h1 that takes the focus on navigation (screen readers hear the new page). */
export function Page(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Console magasin`;
    h1.current?.focus({ preventScroll: true });
  }, [props.title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1} ref={h1}>
          {props.title}
        </h1>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

export function Message({ m }: { m: UiMessage | null }) {
  if (!m) return null;
  return (
    <p class={`msg msg-${m.tone}`} role={m.tone === 'erreur' ? 'alert' : 'status'}>
      <span aria-hidden="true">{m.tone === 'erreur' ? '⚠ ' : 'ℹ '}</span>
      {m.tone === 'erreur' ? 'Erreur: ' : ''}
      {m.text}
    </p>
  );
}

export const success = (text: string): UiMessage => ({ tone: 'info', text, sessionLost: false });

export const toMessage = (e: unknown): UiMessage =>
  e instanceof ApiError ? e.ui : { tone: 'erreur', text: e instanceof Error ? e.message : String(e), sessionLost: false };

/**
 * A form's action: `busy` while it runs, then its outcome as the message — the success text it returns (none: no
 * message), or the error in words. One shape for every form of the console.
 */
export function useAction() {
  const [msg, setMsg] = useState<UiMessage | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<string | null>) => {
    setBusy(true);
    setMsg(null);
    try {
      const text = await action();
      if (text !== null) setMsg(success(text));
    } catch (err) {
      setMsg(toMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return { msg, busy, run };
}

export function Status({ v }: { v: StatusView }) {
  return (
    <span class={`status status-${v.tone}`}>
      <span aria-hidden="true">{v.icon}</span> {v.word}
    </span>
  );
}

export interface Async<T> {
  data: T | undefined;
  error: UiMessage | null;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` on mount and whenever `deps` change; a failure becomes a message, never a blank page. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: UiMessage | null; loading: boolean }>({
    data: undefined,
    error: null,
    loading: true,
  });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (e: unknown) => live && setState((s) => ({ data: s.data, error: toMessage(e), loading: false })),
    );
    return () => {
      live = false;
    };
    // The caller lists what `load` depends on; `n` re-runs it on reload().
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...state, reload };
}

export function Loading({ a, label }: { a: Async<unknown>; label: string }) {
  if (a.loading && a.data === undefined) return <p role="status">Chargement {label}…</p>;
  return <Message m={a.error} />;
}

/** A native modal dialog (focus trapped, Escape closes): admin actions ask before they act. */
export function Confirm(props: {
  open: boolean;
  title: string;
  text: string;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="dialog-title" onClose={props.onClose}>
      <h2 id="dialog-title">{props.title}</h2>
      <p>{props.text}</p>
      <div class="row">
        <button type="button" class="btn" onClick={props.onClose}>
          Annuler
        </button>
        <button
          type="button"
          class="btn btn-primary"
          onClick={() => {
            props.onConfirm();
            props.onClose();
          }}
        >
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export const money = (n: number | null | undefined) =>
  typeof n === 'number' ? `${n.toLocaleString('fr-CA', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} $` : '—';

export const dateTime = (iso: string | number | null | undefined) => {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString('fr-CA', { dateStyle: 'short', timeStyle: 'medium' });
};

export const short = (id: string | null | undefined) => (id ? id.slice(0, 8) : '—');
