//! The no-panic corpus (filled in by the robustness work).
