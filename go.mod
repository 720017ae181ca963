module github.com/tokensvc/tokensvc

go 1.26
