fn main() {
    println!("tollgate");
}
