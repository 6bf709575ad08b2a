// A plain command to daemonize: prints a tick every second, exits cleanly on SIGTERM.
let n = 0;
const timer = setInterval(() => console.log(`tick ${++n} at ${new Date().toISOString()}`), 1000);
process.on('SIGTERM', () => {
  clearInterval(timer);
  console.log('ticker: got SIGTERM, bye');
});
console.log(`ticker: started, pid ${process.pid}`);
