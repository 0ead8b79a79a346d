// Finds and dlopen()s one of netsim's optional modules (libnetsim_render.so, libnetsim_mpi.so):
// code that needs heavy libraries (Graphviz, cairo, MPI) lives there so that runs which do not
// use them never pay for linking them at start-up (docs/performance.md).
#pragma once

#include <string>

namespace netsim {

struct PluginSpec {
  const char* file;        // "libnetsim_render.so"
  const char* env;         // a variable that, when set, names the only file to try
  const char* build_path;  // where the build tree put it (for tests and benches), or nullptr
  const char* build_root;  // the build tree: build_path is tried only by programs inside it
  const char* entry;       // the exported C function returning the module's table
  int abi;                 // the table's first field (an int) must equal this
  bool global;             // RTLD_GLOBAL: the module's libraries load plugins of their own
};

struct LoadedPlugin {
  const void* table = nullptr;  // what `entry` returned; null on failure
  std::string tried;            // on failure: every place tried and why it did not do
};

// Tries, in order: $env (alone, when set), the running executable's directory,
// <that directory>/../lib/netsim/ (the installed layout), then build_path if the executable lies
// inside build_root (an installed netsim never loads a module from a build tree that may have
// moved on to another version, or belong to someone else). A loaded module is
// never closed. Not thread-safe: callers load once (a function-local static).
LoadedPlugin load_plugin(const PluginSpec& spec);

}  // namespace netsim
