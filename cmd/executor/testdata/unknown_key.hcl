concurency = 2
