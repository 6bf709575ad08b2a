/** The rows of the restart policy: when the COMMAND is restarted, how soon, and when not. */
import { MAX_RESTARTS_LIMIT } from '../restart-policy.js';
import { count, duration, oneOf } from './kinds.js';
import { START, type OptionRow } from './row.js';

const DOC = ['start'];
const DURATION_WHY = 'a duration such as 100ms, 2s or 1m (a bare number is seconds)';

export const RESTART_ROWS: readonly OptionRow[] = [
  {
    name: 'restart',
    commands: START,
    kind: oneOf(['no', 'on-failure', 'always'] as const, 'use no, on-failure or always'),
    default: 'no',
    help: 'when the COMMAND ends: no, on-failure or always restart it',
    systemd: 'Restart=',
    doc: DOC,
  },
  {
    name: 'restart-delay',
    commands: START,
    kind: duration({ why: DURATION_WHY }),
    default: '100ms',
    help: 'the wait before the first restart; it doubles with each one',
    systemd: 'RestartSec=',
    doc: DOC,
  },
  {
    name: 'restart-max-delay',
    commands: START,
    kind: duration({ why: DURATION_WHY }),
    default: '30s',
    help: '... up to this',
    systemd:
      'RestartSteps=, RestartMaxDelaySec= (systemd ≥ 254; older ones ignore both, with a warning, and wait RestartSec= each time)',
    doc: DOC,
  },
  {
    name: 'min-uptime',
    commands: START,
    kind: duration({ why: DURATION_WHY }),
    default: '10s',
    help: 'a run this long resets the delay to --restart-delay',
    systemd: '',
    doc: DOC,
  },
  {
    name: 'max-restarts',
    commands: START,
    kind: count({
      min: 0,
      max: MAX_RESTARTS_LIMIT,
      digits: 7,
      infinite: true,
      why: `a whole number from 0 to ${MAX_RESTARTS_LIMIT}, or infinity (never give up)`,
    }),
    default: '10',
    help: 'more restarts within --restart-window: give up; 0 to 1000000, or infinity',
    systemd: 'StartLimitBurst= (N+1 starts); infinity: StartLimitIntervalSec=0',
    doc: DOC,
  },
  {
    name: 'restart-window',
    commands: START,
    kind: duration({ why: DURATION_WHY }),
    default: '60s',
    help: 'the window for --max-restarts',
    systemd: 'StartLimitIntervalSec=',
    doc: DOC,
  },
];
