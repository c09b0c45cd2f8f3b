// Every test sees the scenario sections the entry points register (see scenario-sections.ts).
import '../scenario-sections.js';
