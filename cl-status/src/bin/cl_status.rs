//! `cl_status`: the same program as `cl-status` under Linux-HA's name
//! (Heartbeat's usage text, byte for byte).

fn main() {
    clstatus::main_entry()
}
