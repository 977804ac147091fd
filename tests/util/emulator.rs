//! Starting the emulator binary for a test (to be written).
