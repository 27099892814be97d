//! `sqlx::migrate!` embeds the `migrations` directory when the crate is compiled, and cargo
//! does not watch that directory by itself: a new migration would not be built in.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
