import { UserError } from '../src/util/errors.js';

/**
 * A network that cannot be mapped onto a target: names the layer, the limit, the value needed and the
 * chip's capacity, and says what to try next.
 */
export class FitError extends UserError {
  constructor(
    readonly target: string,
    readonly layer: string,
    readonly limit: string,
    readonly needed: number,
    readonly capacity: number,
    readonly nextStep: string,
  ) {
    super(`layer '${layer}' does not fit ${target}: ${limit} needed ${needed}, capacity ${capacity}; ${nextStep}`);
    this.name = 'FitError';
  }
}
