import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

// Placeholder: replaced by the command's implementation.
export const compareCommand: CommandModule = {
  command: 'compare',
  describe: 'compare (not yet built)',
  handler: () => {
    throw new UserError('compare is not built yet');
  },
};
