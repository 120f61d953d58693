import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

// Placeholder: replaced by the command's implementation.
export const trainCommand: CommandModule = {
  command: 'train',
  describe: 'train (not yet built)',
  handler: () => {
    throw new UserError('train is not built yet');
  },
};
