/**
 * Ends every jest run with one plain line, "jest: N passed, N failed[, N skipped]",
 * which CI reads to tell a run that tested something from one that did not.
 * Written on exit, so that it comes after jest's own summary: the closing line.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.once('exit', () => process.stdout.write(`${line}\n`));
  }
}
module.exports = SummaryReporter;
