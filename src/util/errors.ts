/**
 * An error caused by the user's input (bad path, unknown kind, corrupt file...). The CLI prints its
 * message as one line and exits with status 2; any other error is a bug and prints a stack.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Throw a UserError naming the valid choices when `kind` is not one of them. */
export function unknownKind(what: string, kind: string, valid: readonly string[]): never {
  throw new UserError(`unknown ${what} '${kind}' (valid: ${valid.join(', ')})`);
}
