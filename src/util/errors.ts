/**
 * An error caused by what the user gave (a file, a flag, a target): the CLI prints its message as one
 * line and exits with code 2. Anything else is a bug and is reported as such (exit 1).
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Exit code for user errors (bad input, bad flags, impossible targets). */
export const EXIT_USER_ERROR = 2;
