/** The system page's charts: a Prometheus range answer becomes uPlot columns. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CHARTS, matrixToSeries } from '../../src/console/web/src/lib/prom.ts';

describe('web console: Prometheus series', { timeout: 10_000 }, () => {
  test('series are summed by timestamp, sorted; NaN (an empty histogram window) is a gap, not a zero', () => {
    const [xs, ys] = matrixToSeries({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { service: 'a' },
            values: [
              [20, '1.5'],
              [10, 'NaN'],
            ],
          },
          {
            metric: { service: 'b' },
            values: [
              [10, 'NaN'],
              [20, '2'],
              [30, '4'],
            ],
          },
        ],
      },
    });
    assert.deepEqual(xs, [10, 20, 30]);
    assert.deepEqual(ys, [null, 3.5, 4]);
  });

  test('no data: empty columns', () => {
    assert.deepEqual(matrixToSeries({ status: 'success', data: { resultType: 'matrix', result: [] } }), [[], []]);
    assert.deepEqual(matrixToSeries({}), [[], []]);
  });

  test('three charts: throughput, p95 latency, failures', () => {
    assert.deepEqual(
      CHARTS.map((c) => c.id),
      ['debit', 'p95', 'echecs'],
    );
  });
});
