import { describeObserverConformance } from '../src/testing/index.js';
import {
  createEntropyObserver,
  createMinMaxObserver,
  createMovingAverageObserver,
  createMseObserver,
  createObserver,
  createPercentileObserver,
} from '../src/index.js';

describeObserverConformance('minmax', () => createMinMaxObserver());
describeObserverConformance('minmax per-channel (axis 0)', () => createMinMaxObserver({ axis: 0 }));
describeObserverConformance('minmax per-channel (axis -1)', () => createMinMaxObserver({ axis: -1 }));
describeObserverConformance('moving_average', () => createMovingAverageObserver(), { merge: { tolerance: 1e-12 } });
describeObserverConformance(
  'moving_average per-channel',
  () => createMovingAverageObserver({ axis: 1, averagingConstant: 0.3 }),
  {
    merge: { tolerance: 1e-12 },
  },
);
describeObserverConformance('percentile', () => createPercentileObserver());
describeObserverConformance('percentile asymmetric, 64 bins', () =>
  createPercentileObserver({ percentile: 90, symmetric: false, bins: 64 }),
);
describeObserverConformance('mse', () => createMseObserver());
describeObserverConformance('mse uint8 asymmetric', () =>
  createMseObserver({
    spec: {
      version: 1,
      dtype: 'uint8',
      qscheme: 'asymmetric',
      qformulation: 'zp',
      granularity: { type: 'per_tensor' },
    },
  }),
);
describeObserverConformance('entropy', () => createEntropyObserver());
describeObserverConformance('entropy via createObserver', () => createObserver({ kind: 'entropy', bins: 512 }));
