import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

// Placeholder: replaced by the command's implementation.
export const trainTeacherCommand: CommandModule = {
  command: 'train-teacher',
  describe: 'train-teacher (not yet built)',
  handler: () => {
    throw new UserError('train-teacher is not built yet');
  },
};
