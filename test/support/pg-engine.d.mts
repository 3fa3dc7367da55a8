export type Engine = 'postgres' | 'pglite';
export const DEFAULT_ADMIN_URL: string;
export const ENGINE_VAR: 'TEST_DB_ENGINE';
export function adminUrl(env?: NodeJS.ProcessEnv): string;
export function postgresAnswers(url: string, timeoutMs?: number): Promise<boolean>;
export function selectEngine(
  env?: NodeJS.ProcessEnv,
  probe?: (url: string) => Promise<boolean>,
): Promise<{ engine: Engine; message: string | undefined }>;
export function currentEngine(env?: NodeJS.ProcessEnv): Engine;
