//! A local emulator of the PolarDB and PolarDB-X backup APIs: signatures checked, errors shaped
//! like Alibaba's, backups that take time, faults injectable.
