import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

// Placeholder: replaced by the command's implementation.
export const inspectCommand: CommandModule = {
  command: 'inspect',
  describe: 'inspect (not yet built)',
  handler: () => {
    throw new UserError('inspect is not built yet');
  },
};
