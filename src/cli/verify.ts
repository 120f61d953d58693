import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

// Placeholder: replaced by the command's implementation.
export const verifyCommand: CommandModule = {
  command: 'verify',
  describe: 'verify (not yet built)',
  handler: () => {
    throw new UserError('verify is not built yet');
  },
};
