// Placeholder until the net layer lands.
int main() { return 0; }
