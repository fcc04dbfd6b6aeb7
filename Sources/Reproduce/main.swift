import Core
print(BLASRuntime.coreName)
