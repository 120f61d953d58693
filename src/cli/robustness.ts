import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

// Placeholder: replaced by the command's implementation.
export const robustnessCommand: CommandModule = {
  command: 'robustness',
  describe: 'robustness (not yet built)',
  handler: () => {
    throw new UserError('robustness is not built yet');
  },
};
