import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

// Placeholder: replaced by the command's implementation.
export const targetsCommand: CommandModule = {
  command: 'targets',
  describe: 'targets (not yet built)',
  handler: () => {
    throw new UserError('targets is not built yet');
  },
};
