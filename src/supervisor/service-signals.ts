/**
 * How a process that runs a service answers our signals: the supervisor (main.ts), `run`
 * (cli/run.ts) and a Daemon with a restart policy (daemon/supervised.ts). A stop signal asks the
 * service to stop, SIGHUP (and SIGUSR2) reach the COMMAND, SIGUSR1 reopens the log files. Routed
 * before the service is started: a signal is acted on from the event loop (sys/signals.ts), and
 * one that finds no service yet is acted on as soon as there is one.
 */
import type { StopSchedule } from '../config/schedule.js';
import { routeSignals } from '../sys/signals.js';
import type { ServiceRun } from './service.js';

export interface SignalWiring {
  /** Told of each stop signal first (a service manager hears STOPPING=1). */
  onStop?: (signal: NodeJS.Signals) => void;
  /** The schedule a stop signal asks for when no stop request names one (default: the
   *  service's). */
  stopSchedule?: (signal: NodeJS.Signals) => StopSchedule;
  /** SIGHUP's way to the COMMAND: `pass` sends it (default: at once). */
  reload?: (pass: () => void) => void;
  /** SIGUSR2 is passed to the COMMAND too (else it is not caught). */
  usr2?: boolean;
  /** SIGUSR1 is the COMMAND's unless `daemonkit reopen` asked for it (`run`); else it reopens. */
  usr1ToCommand?: boolean;
}

export interface ServiceSignals {
  /** The service exists and our handlers are in place: it says so (handlingSignals), and a stop
   *  that came before is asked of it now. */
  attach(service: ServiceRun): void;
  /** The routes removed (the process goes on without the service). */
  unroute(): void;
}

export function routeServiceSignals(wiring: SignalWiring = {}): ServiceSignals {
  let service: ServiceRun | null = null;
  let early: NodeJS.Signals | null = null;
  // To every COMMAND of the service (its instances, both of a roll's overlap).
  const pass = (signal: NodeJS.Signals) => (): void => {
    for (const pid of service?.commandPids() ?? []) {
      try {
        process.kill(pid, signal);
      } catch {
        // it has just ended
      }
    }
  };
  const askStop = (running: ServiceRun, signal: NodeJS.Signals): void =>
    running.requestStop(wiring.stopSchedule?.(signal));
  const stop = (signal: NodeJS.Signals): void => {
    wiring.onStop?.(signal);
    if (service) askStop(service, signal);
    else early ??= signal;
  };
  const unroute = routeSignals({
    SIGTERM: stop,
    SIGINT: stop,
    SIGQUIT: stop,
    SIGHUP: () => (wiring.reload ? wiring.reload(pass('SIGHUP')) : pass('SIGHUP')()),
    ...(wiring.usr2 ? { SIGUSR2: pass('SIGUSR2') } : {}),
    // `restart --rolling` signals as `reopen` does: its request says which it is.
    SIGUSR1: wiring.usr1ToCommand
      ? () => {
          if (service?.rollIfAsked()) return;
          if (service?.takeReopenRequest()) service.reopenLogs();
          else pass('SIGUSR1')();
        }
      : () => {
          if (!service?.rollIfAsked()) service?.reopenLogs();
        },
  });
  return {
    attach(running) {
      service = running;
      running.handlingSignals();
      if (early) askStop(running, early);
    },
    unroute,
  };
}
