/** Placeholder: the native (Node-API addon) backend is registered here (see issue 4). */
export function registerNativeBackend(): boolean {
  return false;
}
