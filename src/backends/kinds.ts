/** The backend kinds a user can ask for (platform-neutral, so the config schema can list them). */
export const BACKEND_KINDS = ['auto', 'native', 'wasm', 'cpu', 'tensorflow'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];
