/**
 * A participant's answer as a value: the one result type of every call a saga makes to another service (the
 * orchestrator's steps, the choreography's workers). The caller decides what a refusal or an outage means.
 */
export type Appel<T> =
  | { kind: 'ok'; status: number; body: T; tentatives: number }
  /** A 4xx other than 429: the participant refused; repeating the same request would not help. */
  | { kind: 'rejected'; status: number; body: unknown; detail: string; tentatives: number }
  /** Transient failures on every attempt, the circuit open, or no time left before the caller's deadline. */
  | { kind: 'unavailable'; status?: number; detail: string; tentatives: number };
