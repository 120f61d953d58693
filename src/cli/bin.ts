#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { runCli } from './main.js';

runCli(hideBin(process.argv)).then((code) => {
  process.exitCode = code;
});
