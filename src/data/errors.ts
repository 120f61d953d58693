import { UserError } from '../util/errors.js';

/** A data set that is missing, unreadable or malformed. The message names the file and what is wrong. */
export class DataError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}
