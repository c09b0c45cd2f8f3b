/**
 * Every scenario section, for the entry points (the library, the CLI, check's workers, scripts):
 * importing this module registers the sections other layers own with the scenario schema
 * (sim/scenario/sections.ts). The scenario layer itself knows none of them.
 */
import './check/section.js';
import './drill/schema.js';
import './check/mutations-section.js';
