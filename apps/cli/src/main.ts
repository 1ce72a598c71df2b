/** The `unmask` command line: dispatches sub-commands and turns errors into one-line messages. */
import { isUnmaskError } from '@unmask/core';
import { askCommand, type Io } from './ask-command.js';
import { batchCommand } from './batch/batch-command.js';
import { workerCommand } from './batch/worker-command.js';
import { convertCommand } from './convert-command.js';
import { MAIN_HELP } from './help.js';

export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'ask':
        return await askCommand(rest, io);
      case 'convert':
        return await convertCommand(rest, io);
      case 'worker':
        return await workerCommand(rest, io);
      case 'batch':
        return await batchCommand(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(MAIN_HELP);
        return command === undefined ? 2 : 0;
      default:
        io.stderr.write(`unmask: unknown command ${JSON.stringify(command)}\n\n${MAIN_HELP}`);
        return 2;
    }
  } catch (error) {
    if (isUnmaskError(error)) {
      io.stderr.write(`unmask: ${error.message}\n`);
      return error.code === 'invalid_parameter' ? 2 : 1;
    }
    throw error;
  }
}
