import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

// Placeholder: replaced by the command's implementation.
export const compileCommand: CommandModule = {
  command: 'compile',
  describe: 'compile (not yet built)',
  handler: () => {
    throw new UserError('compile is not built yet');
  },
};
