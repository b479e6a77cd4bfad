// msgrelay browser client (placeholder until the client lands)
