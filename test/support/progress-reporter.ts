// A reporter that writes, as it happens, every test file's start and end and every test's start
// and result, one line each, to the file that OPENIXN_TEST_PROGRESS names (vitest.config.ts adds
// it then; .ci/run sets it). The default reporter says nothing about a file until the file ends,
// so a run that stops moving would not say where it stopped: this file does, and .ci/hang-report.mjs
// reads it to name the test that never ended.

import { appendFileSync, writeFileSync } from 'node:fs';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export class ProgressReporter implements Reporter {
  constructor(private readonly path: string) {
    writeFileSync(path, '');
  }

  onTestModuleStart(module: TestModule): void {
    this.write('file-start', module);
  }

  onTestModuleEnd(module: TestModule): void {
    this.write(`file-${module.state()}`, module);
  }

  onTestCaseReady(test: TestCase): void {
    this.write('test-start', test.module, test.fullName);
  }

  onTestCaseResult(test: TestCase): void {
    const duration = test.diagnostic()?.duration;
    this.write(`test-${test.result().state}${duration === undefined ? '' : `:${Math.round(duration)}ms`}`, test.module, test.fullName);
  }

  /** `<ISO time> <what>[:<duration>] [<project>] <file>[ > <test>]`: synchronous, so that a line is in the file before anything can hang. */
  private write(what: string, module: TestModule, test?: string): void {
    const name = `[${module.project.name}] ${module.relativeModuleId}${test === undefined ? '' : ` > ${test}`}`;
    appendFileSync(this.path, `${new Date().toISOString()} ${what} ${name.replace(/\s+/g, ' ')}\n`);
  }
}
