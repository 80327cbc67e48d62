//! `cl-status`: query tool for heartbeatd, compatible with Linux-HA
//! `cl_status` (see the library, `clstatus`).

fn main() {
    clstatus::main_entry()
}
