/** A package manager failure: a ProviderError naming the field at fault when there is one. */
import { ProviderError } from '../../provider/errors.js';

export class PackageError extends ProviderError {
  constructor(
    message: string,
    code: string,
    options: { field?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, { code, ...options });
  }
}
