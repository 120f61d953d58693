import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

// Placeholder: replaced by the command's implementation.
export const reportCommand: CommandModule = {
  command: 'report',
  describe: 'report (not yet built)',
  handler: () => {
    throw new UserError('report is not built yet');
  },
};
