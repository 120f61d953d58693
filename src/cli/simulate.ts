import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

// Placeholder: replaced by the command's implementation.
export const simulateCommand: CommandModule = {
  command: 'simulate',
  describe: 'simulate (not yet built)',
  handler: () => {
    throw new UserError('simulate is not built yet');
  },
};
