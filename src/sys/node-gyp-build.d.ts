// node-gyp-build ships no types; native-load.ts uses this much of it.
declare module 'node-gyp-build' {
  /** require() the native module of the package in `dir`. */
  function load(dir: string): unknown;
  namespace load {
    /** The file load(dir) would require: build/Release, build/Debug, then
     *  prebuilds/PLATFORM-ARCH. Throws when none fits. */
    function resolve(dir: string): string;
  }
  export default load;
}
