import { QuantError } from '@lowbit/dtypes';

/**
 * The four step counts of a QAT schedule, as coremltools' `LinearQuantizer` milestones:
 * `[enableObservers, enableFakeQuant, freezeObservers, freezeBatchNorm]`. `-1` means "never".
 */
export type QatMilestones = readonly [number, number, number, number];

/** What is switched on at a point of the schedule. */
export interface QatScheduleState {
  /** Observers update the ranges on training forwards. */
  readonly observersEnabled: boolean;
  /** Forwards quantize-dequantize (otherwise they are the identity). */
  readonly fakeQuantEnabled: boolean;
  /** Batch-norm layers should use and keep their running statistics (the adapter or the user applies it). */
  readonly batchNormFrozen: boolean;
}

/** Names of the schedule events, in milestone order. */
export type QatMilestoneName = 'enable_observers' | 'enable_fake_quant' | 'freeze_observers' | 'freeze_batch_norm';

/** A step counter that switches observers, fake quantization and batch norm at milestones. */
export interface QatSchedule {
  /** Number of `step()` calls so far. */
  readonly stepCount: number;
  /** The milestones, or null (everything on from the start, never frozen). */
  readonly milestones: QatMilestones | null;
  /** The current state. */
  readonly state: QatScheduleState;
  /**
   * Applies every milestone equal to the current step count, then increments the count. Returns the names of
   * the milestones applied (in milestone order).
   */
  step(): QatMilestoneName[];
}

const NAMES: readonly QatMilestoneName[] = [
  'enable_observers',
  'enable_fake_quant',
  'freeze_observers',
  'freeze_batch_norm',
];

/**
 * Creates a schedule. With milestones, observers and fake quantization start disabled (coremltools): the
 * `(m + 1)`-th call to `step()` applies milestone value `m`, so call `step()` once before each training step's
 * forward pass. `[0, 0, -1, -1]` turns everything on at the first step. Without milestones (null), observers and
 * fake quantization are on from the start and `step()` only counts.
 *
 * @example
 * ```ts
 * const s = createQatSchedule([0, 100, 300, 200]);
 * s.step(); // ['enable_observers']: observing, not yet quantizing
 * ```
 * @throws QuantError `QAT_INVALID_ARGUMENT` unless milestones are four integers >= -1 with freezeObservers not
 * before enableObservers.
 */
export function createQatSchedule(milestones: QatMilestones | null = null): QatSchedule {
  const where = 'createQatSchedule';
  if (milestones !== null) {
    if (
      !Array.isArray(milestones) ||
      milestones.length !== 4 ||
      !milestones.every((m) => Number.isSafeInteger(m) && m >= -1)
    ) {
      throw new QuantError(
        'QAT_INVALID_ARGUMENT',
        `${where}: milestones ${JSON.stringify(milestones)} must be 4 integers >= -1 ` +
          `[enableObservers, enableFakeQuant, freezeObservers, freezeBatchNorm] (-1: never), or null`,
      );
    }
    const [enable, , freeze] = milestones;
    if (freeze >= 0 && (enable < 0 || freeze < enable)) {
      throw new QuantError(
        'QAT_INVALID_ARGUMENT',
        `${where}: freezeObservers (${freeze}) comes before enableObservers (${enable}); observers must be enabled ` +
          `at or before the step that freezes them`,
      );
    }
  }
  const fixed: QatMilestones | null = milestones === null ? null : ([...milestones] as unknown as QatMilestones);
  let count = 0;
  let observersEnabled = fixed === null;
  let fakeQuantEnabled = fixed === null;
  let batchNormFrozen = false;
  return {
    get stepCount() {
      return count;
    },
    milestones: fixed === null ? null : Object.freeze(fixed),
    get state(): QatScheduleState {
      return { observersEnabled, fakeQuantEnabled, batchNormFrozen };
    },
    step() {
      const applied: QatMilestoneName[] = [];
      if (fixed !== null) {
        for (let i = 0; i < 4; i++) {
          if (fixed[i] !== count) continue;
          applied.push(NAMES[i] as QatMilestoneName);
          if (i === 0) observersEnabled = true;
          else if (i === 1) fakeQuantEnabled = true;
          else if (i === 2) observersEnabled = false;
          else batchNormFrozen = true;
        }
      }
      count++;
      return applied;
    },
  };
}
